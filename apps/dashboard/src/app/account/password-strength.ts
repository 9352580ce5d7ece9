/** The server's rules (apps/api/src/policy/password-policy.ts), said before typing (D17). */
export const PASSWORD_RULES = [
  'At least 12 characters; a few unrelated words work well.',
  'Not one of the most common passwords.',
  'Must not contain your username.',
  'Strong enough to resist guessing (strength 3 of 4 or more).',
] as const;

const MIN_LENGTH = 12;

export interface Strength {
  /** 0-4, zxcvbn's score. */
  score: number;
  label: string;
  /** The server would refuse it (too short, contains the username, or a weak score). */
  acceptable: boolean;
  hint: string | null;
}

const LABELS = ['very weak', 'weak', 'fair', 'strong', 'very strong'];

type Checker = (password: string, userInputs: string[]) => { score: number; feedback: { warning: string | null } };
let checker: Promise<Checker> | null = null;

/**
 * zxcvbn-ts, the estimator the server uses, loaded on the first keystroke only: its dictionary
 * is large and only this page needs it.
 */
function load(): Promise<Checker> {
  checker ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(([core, common]) => {
    const factory = new core.ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, maxLength: 256 });
    return (password, inputs) => factory.check(password, inputs);
  });
  return checker;
}

/** A live estimate for the strength meter; the server's answer stays the judge. */
export async function estimate(password: string, username: string | null): Promise<Strength> {
  const length = [...password.normalize('NFKC')].length;
  if (length === 0) return { score: 0, label: '', acceptable: false, hint: null };
  if (username && password.toLowerCase().includes(username.toLowerCase())) {
    return { score: 0, label: LABELS[0]!, acceptable: false, hint: 'It contains your username.' };
  }
  const check = await load();
  const { score, feedback } = check(password.normalize('NFKC'), [...(username ? [username] : []), 'bouncer']);
  if (length < MIN_LENGTH) {
    return {
      score: Math.min(score, 1),
      label: LABELS[Math.min(score, 1)]!,
      acceptable: false,
      hint: `${MIN_LENGTH - length} more characters needed.`,
    };
  }
  return {
    score,
    label: LABELS[score]!,
    acceptable: score >= 3,
    hint: score >= 3 ? null : feedback.warning || 'Add another unrelated word.',
  };
}
