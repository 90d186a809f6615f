import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@ghostguard/source'] },
  ssr: { resolve: { conditions: ['@ghostguard/source'] } },
  test: {
    include: [
      'core/src/**/*.test.ts',
      'cli/src/**/*.test.ts',
      'plugins/*/src/**/*.test.ts',
      'demo/src/**/*.test.ts',
      'stand-ins/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    reporters: ['default'],
  },
});
