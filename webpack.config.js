// Builds the demo app in www/ against the package in pkg/ (run `npm start`).
import HtmlWebpackPlugin from 'html-webpack-plugin';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const root = path.dirname(fileURLToPath(import.meta.url));

// flowscale's configuration variables (README, "Configuration") from the build's
// environment, e.g. `RENDERING_MAX_VISIBLE_NODES=500 npm start`. The app reads
// them as `Config.fromEnv(__FLOWSCALE_ENV__)`; each is also defined as
// `process.env.NAME`. Only these prefixes are passed: nothing else of the
// build machine's environment reaches the bundle.
const flowscaleEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => /^(PERFORMANCE|CACHE|RENDERING)_/.test(k)),
);

export default (env, argv) => ({
  mode: argv.mode ?? 'development',
  entry: path.join(root, 'www/src/main.tsx'),
  output: { path: path.join(root, 'dist'), filename: '[name].[contenthash].js', clean: true },
  devtool: argv.mode === 'production' ? false : 'eval-cheap-module-source-map',
  resolve: {
    extensions: ['.tsx', '.ts', '.js'],
    alias: {
      '@': path.join(root, 'www/src'),
      // The package's `webpack` entry, as an app that installed it gets it: the web
      // build, instantiated at import, one .wasm asset for the page and the worker.
      flowscale$: path.join(root, 'pkg/auto.js'),
      flowscale: path.join(root, 'pkg'),
    },
  },
  module: {
    rules: [
      { test: /\.tsx?$/, loader: 'ts-loader', options: { transpileOnly: true, configFile: path.join(root, 'www/tsconfig.json') } },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
    ],
  },
  plugins: [
    new HtmlWebpackPlugin({ template: path.join(root, 'www/index.html') }),
    new webpack.DefinePlugin({
      __FLOWSCALE_ENV__: JSON.stringify(flowscaleEnv),
      ...Object.fromEntries(Object.entries(flowscaleEnv).map(([k, v]) => [`process.env.${k}`, JSON.stringify(v)])),
    }),
  ],
  performance: { hints: false },
  devServer: {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 8080),
    hot: false,
    client: { overlay: { warnings: false } },
    // Cross-origin isolation: performance.now() at 5 µs instead of 100 µs.
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
});
