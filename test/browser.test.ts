/// <reference lib="dom" />
// The whole authorization code flow driven by a real headless Chromium: sign in, consent, redirect to a
// loopback client that exchanges the code. Also checks the pages load their stylesheet under the CSP.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { addClient, addUser, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let srv: TestServer;
let browser: Browser;
beforeAll(async () => {
  srv = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await srv.close();
});

test('Chromium: sign in, consent, and the loopback client receives a code it can exchange', async () => {
  await addUser(srv, 'alice', 'a long password');
  const received: URLSearchParams[] = [];
  const client = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      // Only the redirect: Chromium also asks this origin for /favicon.ico, sometimes before the check below.
      const url = new URL(req.url);
      if (url.pathname === '/callback') received.push(url.searchParams);
      return new Response('<!doctype html><title>done</title><p>You may close this window.</p>', { headers: { 'Content-Type': 'text/html' } });
    },
  });
  try {
    const app = await addClient(srv, { name: 'Loopback App <b>', redirectUris: ['http://127.0.0.1/callback'], isPublic: true });
    const { verifier, challenge } = pkcePair();
    const redirectUri = `http://127.0.0.1:${client.port}/callback`;
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: redirectUri,
      scope: 'openid email',
      state: 'chromium',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${srv.url}/authorize?${q}`);
    expect(await page.title()).toBe('Sign in · auth');
    // The stylesheet loads under the CSP (no inline styles or scripts needed).
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('main')!).borderRadius)).toBe('12px');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'a long password');
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Authorize access');
    expect(await page.textContent('body')).toContain('Loopback App <b>');
    expect(await page.textContent('body')).toContain('127.0.0.1');
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? srv.dir}/consent.png` });
    await page.click('text=Allow');
    await page.waitForURL((u) => u.port === String(client.port));
    expect(received.length).toBe(1);
    const got = received[0]!;
    expect(got.get('state')).toBe('chromium');
    expect(got.get('iss')).toBe(srv.base.replace('127.0.0.1', '127.0.0.1'));
    const t = await postForm(`${srv.base}/token`, {
      grant_type: 'authorization_code',
      code: got.get('code')!,
      redirect_uri: redirectUri,
      client_id: app.client.id,
      code_verifier: verifier,
    });
    expect(t.status).toBe(200);
    expect((await t.json()).scope).toBe('openid email');
    expect(errors).toEqual([]);
    await page.close();
  } finally {
    client.stop(true);
  }
});
