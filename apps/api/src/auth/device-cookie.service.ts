/**
 * The remembered-device cookie: `<device id>.<secret>`, httpOnly, sent only to /session. What
 * it proves and how it ends is DevicesService (users/devices.service.ts).
 */
export const DEVICE_COOKIE = 'bn_device';
