// The grant types this server knows (RFC 6749 §4.1, §4.4, §6; RFC 8628 §3.4; RFC 8693 §2.1; RFC 7523 §2.1),
// by their wire names, and the token and assertion type URIs that go with them.
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_GRANT] as const;
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Grants switched on by configuration (TOKEN_EXCHANGE, ID_JAG_ISSUERS, WORKLOAD_ISSUERS); a client may be given them. */
export const EXTENSION_GRANTS = [TOKEN_EXCHANGE_GRANT, JWT_BEARER_GRANT] as const;

/** RFC 7523 §2.2: client_assertion_type of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 8693 §3: token type identifiers. */
export const TOKEN_TYPE = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;
/** The ID-JAG `typ` (draft-ietf-oauth-identity-assertion-authz-grant §3) and its grant profile (metadata). */
export const ID_JAG_TYP = 'oauth-id-jag+jwt';
export const ID_JAG_PROFILE = 'urn:ietf:params:oauth:grant-profile:id-jag';
