/** "1 account", "3 accounts"; `plural` when the noun is irregular. Never "account(s)". */
export const count = (n: number, noun: string, plural = `${noun}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? noun : plural}`;
