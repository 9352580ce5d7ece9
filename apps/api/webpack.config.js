const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');
const { BannerPlugin } = require('webpack');

module.exports = {
  output: {
    path: join(__dirname, '../../dist/apps/api'),
    clean: true,
    ...(process.env.NODE_ENV !== 'production' && {
      devtoolModuleFilenameTemplate: '[absolute-resource-path]',
    }),
  },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      // The operator's command line (`bouncer`, package.json bin): dist/apps/api/cli.js beside main.js and its migrations.
      additionalEntryPoints: [{ entryName: 'cli', entryPath: './src/cli/main.ts' }],
      tsConfig: './tsconfig.app.json',
      assets: ['./src/assets', { input: './src/db/migrations', glob: '**/*', output: 'migrations' }],
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMap: true,
    }),
    // package.json's bin points at cli.js: without the shebang, `npx bouncer` hands it to /bin/sh.
    new BannerPlugin({ banner: '#!/usr/bin/env node', raw: true, entryOnly: true, include: /^cli\.js$/ }),
  ],
};
