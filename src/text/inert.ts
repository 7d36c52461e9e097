/**
 * The rendering boundary (issue 25). Every string that came from data — report files, artifacts,
 * model names, labels, the environment, the arguments of every message key, notes, errors — is
 * made inert here, in one place, for the medium it is written to:
 * - markdown (the PR comment, the job summary, report.md): `Md` is markdown this program wrote
 *   itself; a plain `string` is data. `md`…`` and `tMd` escape every string they are given and
 *   keep only `Md` as it is, so a renderer that forgets cannot let data through as markup;
 * - HTML (report.html): `inertHtml` over the whole text;
 * - chat alerts (notify/): `inertAlert` over the whole text;
 * - the terminal and the job log: `inertLine` (no control characters, no line breaks, so no
 *   `::workflow-command::` and no escape sequence can start in a data string).
 * Reasons (compare/'s keys with arguments) are turned into text in text/reasons.ts with one of
 * these functions applied to every piece, template and arguments alike.
 */
import { t, type Lang, type StringKey } from './strings.js';

/** Markdown written by this program (never from data); the only text the markdown renderer does not escape. */
export class Md {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  static is(value: unknown): value is Md {
    return value instanceof Md;
  }
}

export type MdArg = Md | string | number;

const MD_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '|': '&#124;',
  '`': '&#96;',
  '*': '&#42;',
  _: '&#95;',
  '[': '&#91;',
  ']': '&#93;',
  '\\': '&#92;',
  '~': '&#126;',
  // a heading, an HTML entity or a footnote reference at the start of a line; GitHub's math
  '#': '&#35;',
  $: '&#36;',
};

/** Line breaks, other control characters and the bidirectional overrides (which reorder what a reader sees). */
// eslint-disable-next-line no-control-regex -- the control characters are what is matched
const CONTROL = /\r\n|[\r\n\u2028\u2029\u0085\t\v\f]|[\u0000-\u001f\u007f-\u009f]|[\u202a-\u202e\u2066-\u2069]/g;

/**
 * Data text made inert in markdown and inline HTML: markdown and HTML characters become entities
 * (which render as themselves; `>` only where it could open a blockquote, since no `<` is left
 * to pair with it; `@` stays, every rendered text gets a word joiner after it, report/mentions.ts),
 * line breaks become spaces (a table cell stays one line), and
 * `://` and `www.` are broken so GitHub's autolinks find no URL in data.
 */
export function inertMarkdown(text: string): string {
  return (
    text
      .replace(CONTROL, (c) => (c === '\u0000' || /[\u202a-\u202e\u2066-\u2069]/.test(c) ? '' : ' '))
      .replace(/[&|`*_[\]\\~#$]/g, (c) => MD_ENTITIES[c]!)
      // '<' opens a tag, a comment or an autolink only before a letter, '/', '!' or '?' (or whatever text follows this one)
      .replace(/<(?=[A-Za-z/!?]|$)/g, '&lt;')
      // '>' ends nothing once no '<' can open; only at the start (a blockquote) it is markup
      .replace(/^(\s*)>/, '$1&gt;')
      .replace(/:\/\//g, '&#58;//')
      .replace(/(www)\./gi, '$1&#46;')
      // the gate's own hidden markers: data never spells one, even as plain text
      .replace(/(paddle-perf-gate):/gi, '$1&#58;')
  );
}

/** Markdown from a template: the literal parts are ours, every interpolated string is data. */
export function md(strings: TemplateStringsArray, ...values: MdArg[]): Md {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += mdText(v) + (strings[i + 1] ?? '');
  });
  return new Md(out);
}

/** One value as markdown: ours as is, data escaped. */
export function mdText(value: MdArg): string {
  if (Md.is(value)) return value.text;
  return typeof value === 'number' ? inertMarkdown(String(value)) : inertMarkdown(value);
}

/** Markdown values joined with a separator of ours. */
export function mdJoin(values: readonly MdArg[], sep: string): Md {
  return new Md(values.map(mdText).join(sep));
}

// eslint-disable-next-line no-control-regex -- the slot markers tMd puts in place of arguments
const SLOT = /\u0001(\d+)\u0001/;

/** The few templates that are markdown themselves (the notice's alert box and bold); every other one is plain words. */
const MARKDOWN_TEMPLATES: ReadonlySet<StringKey> = new Set<StringKey>(['artifact.notice', 'artifact.run']);

/**
 * A fixed text in markdown: the template is escaped as text (our words may hold `<`, `|` or `*`)
 * unless it is one of the markdown templates, and every argument that is not `Md` is escaped.
 */
export function tMd(lang: Lang, key: StringKey, args: Record<string, MdArg> = {}): Md {
  const marker = '\u0001';
  const names: string[] = [];
  const plain = t(
    lang,
    key,
    Object.fromEntries(
      Object.keys(args).map((name) => {
        names.push(name);
        return [name, `${marker}${names.length - 1}${marker}`];
      }),
    ),
    args,
  );
  const pieces = plain.split(SLOT);
  let out = '';
  pieces.forEach((piece, i) => {
    if (i % 2 === 1) out += mdText(args[names[Number(piece)]!]!);
    else out += MARKDOWN_TEMPLATES.has(key) ? piece : inertMarkdown(piece);
  });
  return new Md(out);
}

/** A link of ours: only a plain https URL (from GitHub's API or event, never from a report) becomes one. */
export function mdLink(label: MdArg, url: string | undefined): Md {
  if (url === undefined || !safeHttpsUrl(url)) return md`${label}`;
  return new Md(`[${mdText(label)}](${url})`);
}

/** A plain https URL: host, optional port, a path of URL characters only (nothing that ends a link or starts markup). */
export function safeHttpsUrl(url: string): boolean {
  return /^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/[A-Za-z0-9._~/%?=&+-]*$/.test(url);
}

/** Code of ours (a commit, a command to copy, a file name): a code span keeps everything literal but a backtick. */
export function mdCode(text: string): Md {
  return new Md(`\`${text.replace(/[`\r\n\u2028\u2029]/g, "'")}\``);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Data text in HTML (element content or a quoted attribute). */
export function inertHtml(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\n' ? '\n' : ' ')).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

/** Data text in a chat robot's markdown (WeCom, DingTalk, Feishu, Slack): no character their markdown acts on, no URL. */
export function inertAlert(text: string): string {
  return text
    .replace(CONTROL, ' ')
    .replace(/[*_`~#|<>[\]()\\$!]/g, ' ')
    .replace(/:\/\//g, ': //')
    .replace(/(www)\./gi, '$1 .')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Data text on one line of the terminal or the job log: no control characters (no escape
 * sequence), no line break (so nothing after it can start a line), and a `::` that would open
 * the text (a workflow command) broken by a zero-width space.
 */
export function inertLine(text: string): string {
  return text.replace(CONTROL, ' ').replace(/^(\s*):(?=:)/, '$1:\u200b');
}

/** Text for the job log or the terminal, its own line breaks kept: every line as inertLine makes it. */
export function inertLog(text: string): string {
  return text.replace(/\r\n/g, '\n').split('\n').map(inertLine).join('\n');
}
