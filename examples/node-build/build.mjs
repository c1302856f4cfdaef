// Compiles src/ into dist/: strips comments and inlines build-time constants.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import tinybuild from 'tinybuild';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const files = tinybuild.build({
  srcDir: 'src',
  outDir: 'dist',
  defines: { __APP_NAME__: pkg.name, __APP_VERSION__: pkg.version },
});
console.log(`tinybuild: compiled ${files.length} file(s) into dist/ (greeting ${require('greeting/package.json').version})`);
