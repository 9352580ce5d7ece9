/** DI token for the resolved DetectionOptions. */
export const DETECTION_OPTIONS = Symbol('DETECTION_OPTIONS');
