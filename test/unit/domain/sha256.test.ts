/** The workflow-safe SHA-256 (src/domain/sha256.ts) against node:crypto, on inputs of many lengths and kinds. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/domain/sha256.js';

const nodeSha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Hex', () => {
  it('equals node:crypto on every length around the block boundaries', () => {
    // 55/56/64 bytes are where the padding spills into a second block.
    for (let length = 0; length <= 200; length++) {
      const text = 'a'.repeat(length);
      expect(sha256Hex(text), `length ${length}`).toBe(nodeSha256(text));
    }
  });

  it('equals node:crypto on random text, multi-byte characters included', () => {
    const alphabet = ['a', 'Z', '0', ' ', '\n', 'é', 'ß', '€', '漢', '😀', '\u0000'];
    for (let round = 0; round < 300; round++) {
      const bytes = randomBytes(1 + (round % 97));
      const text = [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
      expect(sha256Hex(text), JSON.stringify(text)).toBe(nodeSha256(text));
    }
    const large = randomBytes(100_000).toString('base64');
    expect(sha256Hex(large)).toBe(nodeSha256(large));
  });
});
