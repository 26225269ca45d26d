// Astro: static pages with React islands; the build prints (and caps) the JS each page ships.
import { defineConfig } from 'astro/config';
import react from '@astrojs/react';
import { jsBudget } from './src/build/jsBudgetIntegration.ts';

export default defineConfig({
  output: 'static',
  outDir: './dist',
  integrations: [react(), jsBudget({ limitKb: 350 })],
  build: { format: 'directory' },
  server: { host: '127.0.0.1', port: 4321 },
});
