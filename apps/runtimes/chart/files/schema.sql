-- Schema and seed rows the runtimes' GET /database reads. Deterministic so
-- every runtime (and the contract test) sees identical rows:
--   name  = 'item-' || id zero-padded to 4 digits
--   value = (id * 7919) % 10007
CREATE TABLE IF NOT EXISTS items (
    id    integer PRIMARY KEY,
    name  text    NOT NULL,
    value integer NOT NULL
);

INSERT INTO items (id, name, value)
SELECT g, 'item-' || lpad(g::text, 4, '0'), (g * 7919) % 10007
FROM generate_series(1, 1000) AS g
ON CONFLICT (id) DO NOTHING;
