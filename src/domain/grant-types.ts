// The grant types this server knows (RFC 6749 §4.1, §4.4, §6; RFC 8628 §3.4), by their wire names.
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_GRANT] as const;
