/** `evidence` in firebreak.yaml: its storage resolved like `storage`, and refused where it overlaps `storage`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-evidence-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string) {
  writeFileSync(path.join(dir, 'firebreak.yaml'), text);
  return loadConfig({}, { cwd: dir });
}

function problems(text: string): string[] {
  const result = load(text);
  return result.ok ? [] : result.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
}

describe('evidence', () => {
  it('resolves a filesystem dir against the config file, apart from storage', () => {
    const result = load(
      'storage: { type: filesystem, dir: ./blobs }\nevidence:\n  storage: { type: filesystem, dir: ./evidence }\n',
    );
    expect(result.ok && result.value.evidence).toEqual({
      storage: { type: 'filesystem', dir: path.join(dir, 'evidence') },
    });
    expect(load('secrets: {}\n').ok && load('secrets: {}\n')).not.toHaveProperty('value.evidence');
  });

  it('refuses a directory that is, holds or lies inside storage.dir, naming both', () => {
    for (const [storage, evidence] of [
      ['./blobs', './blobs/'],
      ['./blobs', 'blobs/evidence'],
      ['./data/blobs', './data'],
    ]) {
      expect(
        problems(
          `storage: { type: filesystem, dir: ${storage} }\nevidence:\n  storage: { type: filesystem, dir: ${evidence} }\n`,
        ),
      ).toEqual([
        `3:12 evidence.storage must be apart from storage: directory ${evidence} overlaps storage.dir ${storage}`,
      ]);
    }
  });

  it('refuses the same bucket with overlapping prefixes, and accepts another bucket or a prefix apart', () => {
    const s3 = (bucket: string, prefix?: string) =>
      `{ type: s3, bucket: ${bucket}, endpoint: 'http://127.0.0.1:8333'${prefix === undefined ? '' : `, prefix: ${prefix}`} }`;
    const text = (evidence: string, storage = s3('firebreak')) =>
      `storage: ${storage}\nevidence:\n  storage: ${evidence}\n`;
    expect(problems(text(s3('firebreak', 'evidence')))).toEqual([
      '3:12 evidence.storage must be apart from storage: bucket firebreak with prefix "evidence" overlaps storage\'s prefix "": give evidence its own bucket or a prefix apart',
    ]);
    expect(problems(text(s3('firebreak', 'prod'), s3('firebreak', 'prod/backups')))).toHaveLength(1);
    expect(problems(text(s3('firebreak-evidence')))).toEqual([]);
    expect(problems(text(s3('firebreak', 'evidence'), s3('firebreak', 'backups')))).toEqual([]);
    expect(problems(text('{ type: filesystem, dir: ./evidence }'))).toEqual([]);
  });

  it('refuses an unknown key or a storage without a type, naming where', () => {
    expect(problems('evidence: { storage: { type: filesystem, dir: ./e }, retain: 3 }\n')).toHaveLength(1);
    expect(problems('evidence: { storage: { dir: ./e } }\n')).toEqual([
      '1:22 evidence.storage `type` is required: filesystem or s3',
    ]);
    expect(problems('evidence: { storage: { type: nfs, dir: ./e } }\n')).toEqual([
      '1:30 evidence.storage.type expected filesystem or s3, got "nfs"',
    ]);
  });

  it('takes an Object Lock retention on S3 only, 1 to 36500 days, governance or compliance', () => {
    const s3 = (retention: string) => `evidence:\n  storage: { type: s3, bucket: evidence, retention: ${retention} }\n`;
    const result = load(s3('{ mode: compliance, days: 30 }'));
    expect(result.ok && result.value.evidence?.storage).toMatchObject({ retention: { mode: 'compliance', days: 30 } });
    expect(problems(s3('{ mode: legal, days: 30 }'))).toHaveLength(1);
    expect(problems(s3('{ mode: governance, days: 0 }'))[0]).toContain('must be 1 to 36500');
    expect(problems(s3('{ mode: governance, days: 1.5 }'))[0]).toContain('whole number of days');
    expect(
      problems('evidence:\n  storage: { type: filesystem, dir: ./e, retention: { mode: governance, days: 1 } }\n'),
    ).toHaveLength(1);
    expect(problems('evidence:\n  storage: { type: s3, bucket: evidence, accessKeyId: env:K }\n')[0]).toContain(
      'give both accessKeyId and secretAccessKey',
    );
  });
});
