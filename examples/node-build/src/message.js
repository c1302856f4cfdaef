'use strict';

/*
 * The text served on GET /. __APP_NAME__ and __APP_VERSION__ are
 * replaced at build time by build.mjs.
 */
const { greet } = require('greeting');

// Keep this deterministic: the selftest output is compared verbatim.
function message() {
  return `${greet(__APP_NAME__)} (v${__APP_VERSION__})\n`;
}

module.exports = { message };
