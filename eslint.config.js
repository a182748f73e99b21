// ESLint flat config. The override for workflows/ and src/domain/ enforces the Temporal determinism
// boundary: code that runs inside the workflow sandbox may not reach Node built-ins (other than the
// ones the SDK allows), the non-workflow SDK packages, zod, or activity values.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const allowedBuiltins = new Set(['assert', 'url', 'util']);
const bannedBuiltins = builtinModules
  .filter((m) => !m.startsWith('_') && !allowedBuiltins.has(m))
  .flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['dist/**', '.tools/**', '.firebreak/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...bannedBuiltins.map((name) => ({ name, message: 'Workflow code is deterministic: no Node built-ins.' })),
            { name: 'zod', message: 'Workflows receive a compiled plan; parse at the boundary, not in the sandbox.' },
            ...['activity', 'client', 'worker', 'testing'].map((p) => ({
              name: `@temporalio/${p}`,
              message: 'Not available in the workflow sandbox.',
            })),
          ],
          patterns: [
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message: 'Workflows see activities as types only (import type).',
            },
            {
              group: ['**/src/runbook/**', '**/src/config/**', '**/src/cli/**', '**/src/worker/**', '**/src/server/**'],
              allowTypeImports: true,
              message: 'Only src/domain is shared with workflows.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process access in workflow code.' },
        { name: 'setImmediate', message: 'Use workflow timers.' },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'vitest.config.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
