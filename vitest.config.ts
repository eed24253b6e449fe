import { defineConfig } from 'vitest/config';

// Three suites (see README): `unit` needs only `npm ci`; `e2e` needs the Debian packages
// (mosquitto-clients, chromium); `peers` reads real peers' captures from ../shared/fixtures.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false } },
      { extends: true, test: { name: 'peers', include: ['test/peers/**/*.test.ts'] } },
    ],
  },
});
