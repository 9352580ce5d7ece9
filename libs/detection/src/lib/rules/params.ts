import { z } from 'zod';

/**
 * Field types of the rules document, each with the message an operator reads when a value is
 * wrong: `rules.yaml: rule "login-buffer": threshold must be a positive integer, got -3`.
 */
export const positiveInt = () =>
  z
    .number({ error: 'must be a positive integer' })
    .int({ error: 'must be a positive integer' })
    .positive({ error: 'must be a positive integer' });

export const seconds = () =>
  z
    .number({ error: 'must be a positive number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .positive({ error: 'must be a positive number of seconds' })
    .max(365 * 86400, { error: 'must be at most a year (31536000 seconds)' });

export const flag = () => z.boolean({ error: 'must be true or false' });
