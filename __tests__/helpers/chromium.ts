/**
 * Debian's Chromium for the browser tests, installed with apt when missing (as scripts/docker-env.sh
 * installs docker.io and debootstrap), with a CJK and an emoji font so a Chinese screenshot shows
 * its words. Returns the binary, or why there is none (the caller skips loudly).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const FONTS = ['fonts-noto-cjk', 'fonts-noto-color-emoji'];

function installed(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).includes('install ok installed');
  } catch {
    return false;
  }
}

export function ensureChromium(): { path: string } | { missing: string } {
  const want = [...(CANDIDATES.some((p) => existsSync(p)) ? [] : ['chromium']), ...FONTS.filter((f) => !installed(f))];
  if (want.length > 0) {
    const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'], {
        env,
        stdio: 'ignore',
        timeout: 300_000,
      });
      execFileSync(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', ...want], {
        env,
        stdio: 'ignore',
        timeout: 600_000,
      });
    } catch (error) {
      const path = CANDIDATES.find((p) => existsSync(p));
      // Fonts are for the screenshot's looks; only a missing browser stops the test.
      if (path) return { path };
      return { missing: `apt-get install ${want.join(' ')} failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const path = CANDIDATES.find((p) => existsSync(p));
  return path ? { path } : { missing: 'apt installed chromium but no chromium binary is on /usr/bin' };
}
