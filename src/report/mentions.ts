/**
 * Text that comes from data (OCR labels and predictions, file names, model names, PR titles) may
 * hold `@user` or `@org/team`; in a comment the bot posts, GitHub would notify whoever is named.
 * A WORD JOINER (U+2060, invisible, zero width) right after the `@` breaks GitHub's mention
 * syntax (a login must follow the `@` directly) while the text reads and copies the same.
 *
 * One function, applied where text leaves the program (the rendered comment/summary, the alert
 * messages); idempotent, so text that passed through it twice is unchanged the second time.
 * HTML entity spellings of `@` count too: GitHub decodes them before it looks for mentions.
 */
const WORD_JOINER = '\u2060';
const AT = /(@|&#0*64;|&#[xX]0*40;|&commat;)(?=[\p{L}\p{N}_])/gu;

export function neutraliseMentions(text: string): string {
  return text.replace(AT, `$1${WORD_JOINER}`);
}
