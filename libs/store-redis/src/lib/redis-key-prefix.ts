/**
 * The start of every key the Redis store writes, and its Cluster hash tag.
 *
 * Redis Cluster runs a script only when all its KEYS live in one hash slot, and a program
 * mixes counters of different subjects (an IP and a username in one login decision). So all
 * counters of one deployment share a tag: a prefix that already holds a `{tag}` is used as
 * given, otherwise the whole prefix becomes the tag (`bn:` gives `{bn:}c:10.0.0.1`). The
 * price: on Cluster, one deployment's counters sit on one shard (Cluster buys failover for
 * them, not spread). Spreading would need the engine to name a per-program tag.
 */
export function hashTaggedPrefix(prefix: string): string {
  if (prefix === '') throw new Error('Redis key prefix: must not be empty (it is the Cluster hash tag)');
  const tag = /\{([^}]*)\}/.exec(prefix);
  if (tag) {
    if (tag[1] === '') throw new Error(`Redis key prefix "${prefix}": an empty {} is not a hash tag`);
    return prefix;
  }
  if (prefix.includes('{') || prefix.includes('}')) throw new Error(`Redis key prefix "${prefix}": unbalanced braces`);
  return `{${prefix}}`;
}
