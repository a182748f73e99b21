/** The YAML loader: positions for every path, syntax errors and duplicate keys located. */
import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../../src/diagnostics/yaml-source.js';

const text = `a: 1
b:
  list: [x, { y: 2 }]
  nested:
    deep: true
  empty:
`;

function source() {
  const result = parseYamlSource('f.yaml', text);
  if (!result.ok) throw new Error('expected valid YAML');
  return result.value;
}

describe('parseYamlSource', () => {
  it('keeps the plain value (YAML 1.2: yes/no stay strings)', () => {
    const result = parseYamlSource('f.yaml', 'options: [yes, no]\nwhen: 2024-05-01\n');
    expect(result.ok && result.value.value).toEqual({ options: ['yes', 'no'], when: '2024-05-01' });
  });

  it('locates values, keys and the nearest existing parent', () => {
    const doc = source();
    expect(doc.locate(['a'])).toEqual({ line: 1, col: 4 });
    expect(doc.locate(['a'], { key: true })).toEqual({ line: 1, col: 1 });
    expect(doc.locate(['b', 'list', 1, 'y'])).toEqual({ line: 3, col: 18 });
    expect(doc.locate(['b', 'nested', 'deep'])).toEqual({ line: 5, col: 11 });
    expect(doc.locate(['b', 'nested', 'missing', 'more'])).toEqual({ line: 5, col: 5 });
    expect(doc.locate(['b', 'list', 7])).toEqual({ line: 3, col: 9 });
    expect(doc.locate(['b', 'empty'], { key: true })).toEqual({ line: 6, col: 3 });
  });

  it('builds issues with a formatted path', () => {
    expect(source().issueAt(['b', 'list', 1, 'y'], 'bad', { stepId: 's' })).toEqual({
      file: 'f.yaml',
      line: 3,
      col: 18,
      path: 'b.list[1].y',
      stepId: 's',
      message: 'bad',
    });
  });

  it('reports the first syntax error with its position', () => {
    expect(parseYamlSource('f.yaml', 'a: [1, 2\nb: 3\n')).toEqual({
      ok: false,
      issues: [
        {
          file: 'f.yaml',
          line: 2,
          col: 1,
          path: '',
          message:
            'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
        },
      ],
    });
  });

  it('reports every duplicate key with its path', () => {
    const result = parseYamlSource('f.yaml', 'a: 1\nb:\n  c: 1\n  c: 2\na: 3\n');
    expect(result.ok ? [] : result.issues.map((i) => [i.line, i.col, i.path, i.message])).toEqual([
      [4, 3, 'b.c', 'duplicate key `c`: each key may appear once in a mapping'],
      [5, 1, 'a', 'duplicate key `a`: each key may appear once in a mapping'],
    ]);
  });

  it('refuses several documents in one file', () => {
    const result = parseYamlSource('f.yaml', 'a: 1\n---\nb: 2\n');
    expect(result.ok ? [] : result.issues.map((i) => i.message)).toEqual([
      'YAML syntax error: a file holds one YAML document (remove the extra `---`)',
    ]);
  });
});
