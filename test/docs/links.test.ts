// No file cites a document that is not in the repository. Walks the repository's text files
// (git's tracked and not-ignored files: .md, .ts, .tsx, .mjs, .json but lockfiles) and fails on a
// Markdown link to a missing file or heading, on a mention of a `.md` path that resolves to
// nothing (relative to its file, or to the repository root for a path such as `docs/oidc.md`), and
// on any citation of the old API reference, which lived outside the repository (docs/api.md names
// it once, in its provenance note). Also: the README stays under 15 KB.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const README_LIMIT = 15 * 1024;
/** The old reference's file name, spelled so that this file does not cite it. */
const OLD_REFERENCE = ['API', 'md'].join('.');
const PROVENANCE_PAGE = 'docs/api.md';

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
const present = new Set(files);
const folders = new Set(
  files.flatMap((f) =>
    f
      .split('/')
      .slice(0, -1)
      .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
  ),
);
const basenames = new Set(files.map((f) => path.posix.basename(f)));
const scanned = files.filter((f) => /\.(md|ts|tsx|mjs|json)$/.test(f) && !/(^|\/)package-lock\.json$/.test(f));

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
/** A path inside the repository, or null when it climbs out of it. */
function inRepo(from: string, target: string): string | null {
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(from), target));
  return resolved.startsWith('../') || resolved === '..' ? null : resolved.replace(/\/$/, '');
}
const exists = (p: string | null) => p !== null && (p === '' || p === '.' || present.has(p) || folders.has(p));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const line of withoutCode(read(file)).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Markdown without fenced code blocks (configuration examples are not links). */
function withoutCode(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

const markdown = files.filter((f) => f.endsWith('.md'));

describe('documents cite only documents that are in the repository', () => {
  it('finds the files', () => {
    assert.ok(markdown.includes('README.md') && markdown.includes(PROVENANCE_PAGE), 'README.md and docs/api.md are there');
    assert.ok(scanned.length > 50, `${scanned.length} files scanned`);
  });

  it('every Markdown link points to a file (and heading) that exists', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = withoutCode(read(file)).replace(/`[^`\n]*`/g, '');
      const targets = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g), ...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map(
        (m) => m[1]!,
      );
      for (const target of targets) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [rawPath, fragment] = target.split('#') as [string, string | undefined];
        const targetFile = rawPath === '' ? file : inRepo(file, decodeURI(rawPath.split('?')[0]!));
        if (!exists(targetFile)) {
          broken.push(`${file}: (${target}) is not in the repository`);
          continue;
        }
        if (fragment && targetFile!.endsWith('.md') && !anchorsOf(targetFile!).has(fragment.toLowerCase())) {
          broken.push(`${file}: (${target}) has no heading #${fragment}`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('every mention of a .md path resolves (relative to its file, or to the repository root)', () => {
    const broken: string[] = [];
    for (const file of scanned) {
      const text = read(file).replace(/\bhttps?:\/\/[^\s)'"`>\]]+/g, '');
      for (const match of text.matchAll(/(?<![\w/.@:-])((?:\.{1,2}\/)*(?:[\w.-]+\/)*[\w-][\w.-]*\.md)(?![\w/-])/g)) {
        const mention = match[1]!;
        if (mention === OLD_REFERENCE) continue; // the next test's business
        const found = mention.includes('/')
          ? exists(inRepo(file, mention)) || exists(inRepo('x', mention))
          : exists(inRepo(file, mention)) || present.has(mention) || basenames.has(mention);
        if (!found) broken.push(`${file}: ${mention}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it(`nothing cites ${OLD_REFERENCE}, but docs/api.md's provenance note`, () => {
    const pattern = new RegExp(`(?<![\\w/.-])${OLD_REFERENCE.replace('.', '\\.')}\\b`);
    const citations = scanned.flatMap((file) =>
      read(file)
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) && !(file === PROVENANCE_PAGE && line.startsWith('>')) ? [`${file}:${i + 1}`] : [])),
    );
    assert.deepEqual(citations, [], `cite docs/api.md instead of ${OLD_REFERENCE}`);
  });

  it(`the README stays under ${README_LIMIT} bytes`, () => {
    const size = fs.statSync(path.join(ROOT, 'README.md')).size;
    assert.ok(size < README_LIMIT, `README.md is ${size} bytes: move detail into docs/`);
  });
});
