/**
 * A YAML alias bomb ("billion laughs"): ten short lines whose aliases expand to 9^9 strings. Its
 * first alias is at line 3, column 8 (`*a`). As a scenario file it also has name and steps, so
 * that only its aliases are wrong with it.
 */
export const ALIAS_BOMB = `name: laughs
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
steps:
  - at: 0s
    order: { id: x, sku: W, qty: 1 }
`;

/** where its first alias is */
export const FIRST_ALIAS = '3:8';
