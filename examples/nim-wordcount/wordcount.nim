# Counts the words of its arguments (or of standard input) with the re
# module, which loads libpcre with dlopen when the program starts.
import std/[algorithm, os, re, strutils, tables]

proc main() =
  var text = commandLineParams().join(" ")
  if text.len == 0:
    text = stdin.readAll()
  var counts = initCountTable[string]()
  for word in text.toLowerAscii.split(re"[^a-z0-9']+"):
    if word.len > 0:
      counts.inc(word)
  var words: seq[(string, int)]
  for w, n in counts:
    words.add((w, n))
  words.sort(proc (a, b: (string, int)): int =
    result = cmp(b[1], a[1])
    if result == 0: result = cmp(a[0], b[0]))
  for (w, n) in words:
    echo w, " ", n

main()
