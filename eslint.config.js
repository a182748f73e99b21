// ESLint flat config. Two boundaries are enforced here, on resolved paths and on package names:
// - workflows/ runs in the Temporal sandbox: it may import workflows/, src/domain/, activities/ as types
//   only, and the workflow-safe packages below; nothing else (no Node built-ins, no templating, storage,
//   server, pg, handlebars, zod, ...).
// - src/domain/ is the workflow-safe kernel shared with workflows: its own files and the same packages.
// Every import must resolve (TypeScript's resolver, so `.js` specifiers find their `.ts` files), and
// value import cycles fail. test/unit/lint/boundaries.test.ts lints probe files that break each rule,
// so a rule that silently stops working fails the tests.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The only packages deterministic code may import: the workflow SDK and pure, I/O-free libraries.
const workflowSafePackages = ['@temporalio/workflow', '@temporalio/common', '@marcbachmann/cel-js', 're2js'];
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// Matches any bare specifier (package or built-in) that is not on the list; relative paths are checked by
// import-x/no-restricted-paths below, on the file they resolve to.
const notWorkflowSafe = `^(?![./])(?!(?:${workflowSafePackages.map(escape).join('|')})(?:/|$))`;

export default tseslint.config(
  { ignores: ['dist/**', '.tools/**', '.firebreak/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Without these, import-x reads only .js files, so no-cycle silently followed no TypeScript import.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-unresolved': 'error',
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
          patterns: [
            {
              regex: notWorkflowSafe,
              message: `Deterministic code (workflows/, src/domain/) imports only ${workflowSafePackages.join(', ')}.`,
            },
            {
              group: ['**/activities/**', '**/activities'],
              allowTypeImports: true,
              message: 'Workflows see activities as types only (import type).',
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
    files: ['workflows/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: './workflows',
              from: './',
              except: ['./workflows', './src/domain', './activities', './node_modules'],
              message: 'Workflows import only workflows/, src/domain/ and activities/ (as types).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: './src/domain',
              from: './',
              except: ['./src/domain', './node_modules'],
              message: 'src/domain is the workflow-safe kernel: it imports only its own files.',
            },
          ],
        },
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
