// Prints the native source list for binding.gyp (`node native/sources.js`), from native/sources.json.
'use strict';
const sources = require('./sources.json');
process.stdout.write([...sources.core, ...sources.addon].join(' '));
