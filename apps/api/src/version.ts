/** Bouncer's version (the workspace package.json's), in the API document and the start-up line. */
export const VERSION = '0.1.0';
