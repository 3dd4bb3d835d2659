// Type-aware linting: the rules that catch real bugs in async service code (floating promises,
// misused promises, unsafe any) need the type checker, so we lint with the project's tsconfig.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layeringConfig } from './eslint-rules/layering.js';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'src/generated/', 'test/artifacts/', 'test-artifacts/', 'test/fixtures/generated-client/', 'bin/', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  layeringConfig,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests state the shape they expect of a JSON answer with `as`; that is documentation, not noise.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
);
