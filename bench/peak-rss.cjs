// Preloaded into a benchmarked process (NODE_OPTIONS=--require): writes its peak RSS (KiB) to ALBERT_NODE_PEAK_RSS_FILE at exit.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  if (process.env.ALBERT_NODE_PEAK_RSS_FILE) writeFileSync(process.env.ALBERT_NODE_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS));
});
