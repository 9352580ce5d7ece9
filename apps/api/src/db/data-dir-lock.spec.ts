import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirBusyError, lockDataDir } from './data-dir-lock';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bouncer-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the holder pid, refuses a second holder naming the folder and the pid, and frees on release', () => {
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, 'bouncer.lock'), 'utf8').trim()).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(DataDirBusyError);
    expect(() => lockDataDir(dir)).toThrow(`DATA_DIR ${dir} is in use by another Bouncer process (pid ${process.pid})`);
    lock.release();
    lockDataDir(dir).release();
  });

  it('takes over a lock whose holder is dead, and one left by an earlier process with our pid', () => {
    writeFileSync(join(dir, 'bouncer.lock'), '2147483646\n'); // no such process
    const a = lockDataDir(dir);
    a.release();
    writeFileSync(join(dir, 'bouncer.lock'), `${process.pid}\n`); // e.g. pid 1 again after a container restart
    const b = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirBusyError);
    b.release();
  });

  it('refuses while another live process holds it', () => {
    writeFileSync(join(dir, 'bouncer.lock'), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(`(pid ${process.ppid})`);
  });
});
