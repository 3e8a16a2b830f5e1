// Builds the flowscale/react test app (tests/e2e/react.test.mjs) into dist-react/
// against the package in pkg/, as an app that installed it would.
import HtmlWebpackPlugin from 'html-webpack-plugin';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '../../..');

export default {
  // React's development build: StrictMode double-renders and re-runs effects only there, and its warnings are on.
  mode: 'development',
  entry: path.join(here, 'main.tsx'),
  output: { path: path.join(root, 'dist-react'), filename: '[name].[contenthash].js', clean: true },
  devtool: false,
  resolve: {
    extensions: ['.tsx', '.ts', '.js'],
    alias: {
      // The package's `webpack` entry, as an app that installed it gets it (the exports' webpack
      // condition): the web build, which can replace its wasm instance after a trap.
      flowscale$: path.join(root, 'pkg/auto.js'),
      flowscale: path.join(root, 'pkg'),
    },
  },
  module: {
    rules: [
      { test: /\.tsx?$/, loader: 'ts-loader', options: { transpileOnly: true, configFile: path.join(here, 'tsconfig.json') } },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
    ],
  },
  experiments: { asyncWebAssembly: true },
  plugins: [new HtmlWebpackPlugin({ template: path.join(here, 'index.html') })],
  performance: { hints: false },
};
