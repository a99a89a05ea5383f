/**
 * Human output wraps at 80 columns: an event's details continue on indented lines. For tests that
 * read one event per line, join each continuation line onto the line it continues.
 */
export function unwrap(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    // an event's details hang under its event column; a summary's under four spaces
    const continues = out.length > 0 && (/^ {20,}\S/.test(line) || (/^ {4}\S/.test(line) && /^order #\d+ /.test(out.at(-1)!)));
    if (continues) out[out.length - 1] = `${out[out.length - 1]} ${line.trim()}`;
    else out.push(line);
  }
  return out.join('\n');
}
