-- A legacy source of our own, loaded into a fresh database per test run by names.test.ts: schema,
-- table and column names with hyphens, dots, spaces, capitals, reserved words, unicode letters
-- and quotes, and the types carried as text (ranges, multiranges, composites, oid, ltree, isn,
-- citext, a domain over tsvector, arrays of ranges and oids). Deterministic: no random().

CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS isn;
CREATE EXTENSION IF NOT EXISTS citext;

CREATE SCHEMA "Legacy ""Sales"".v2";
CREATE SCHEMA "مخطط";

CREATE TYPE "Legacy ""Sales"".v2"."Money Pair" AS (amount numeric(10,2), "cur-rency" text);
CREATE DOMAIN "Legacy ""Sales"".v2".doc_vector AS tsvector;

CREATE TABLE "Legacy ""Sales"".v2"."Order Details" (
  "Order ID" integer PRIMARY KEY,
  "field-with_sep" text,
  "a.dotted.column" numeric(12, 2),
  "*id*" bigint,
  "(inside,parens)" text,
  "CamelCase" date NOT NULL,
  "select" int4range,
  "ünïcødé" text,
  "o'q" oid,
  "dq""x" ltree,
  "Ranges" tsrange,
  "nums" numrange,
  "period" tstzrange,
  "pair" "Legacy ""Sales"".v2"."Money Pair",
  "isbn" isbn13,
  "ci" citext,
  "arr" int4range[],
  "doc" "Legacy ""Sales"".v2".doc_vector,
  "MixedCase" integer,
  "Größe" varchar(20),
  "created at" timestamp,
  "multi" int4multirange
);

INSERT INTO "Legacy ""Sales"".v2"."Order Details"
SELECT
  i,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'sep-' || i || CASE WHEN i % 5 = 0 THEN ' it''s "quoted"' ELSE '' END END,
  CASE WHEN i % 11 = 0 THEN NULL ELSE round((i * 13.37)::numeric % 10000, 2) END,
  CASE WHEN i % 13 = 0 THEN NULL ELSE (i::bigint * 1000003) - 5000000000 END,
  '(' || (i % 9) || ',' || (i % 4) || ')',
  DATE '2024-03-04' + (i % 3),
  CASE WHEN i % 6 = 0 THEN NULL WHEN i % 6 = 1 THEN 'empty'::int4range ELSE int4range(i, i + i % 10 + 1) END,
  CASE i % 4 WHEN 0 THEN 'Ünïcødé ' || i WHEN 1 THEN '名前 ' || i WHEN 2 THEN 'اسم ' || i ELSE NULL END,
  CASE WHEN i % 8 = 0 THEN NULL ELSE (4294967295 - i)::oid END,
  CASE WHEN i % 10 = 0 THEN NULL ELSE ('top.level_' || (i % 5) || '.leaf' || i)::ltree END,
  CASE WHEN i % 9 = 0 THEN NULL
       ELSE tsrange(TIMESTAMP '2024-01-01 00:00:00' + (i || ' minutes')::interval,
                    TIMESTAMP '2024-01-01 00:00:00' + ((i * 3) || ' minutes 0.000123 seconds')::interval, '[)') END,
  CASE WHEN i % 5 = 0 THEN numrange(NULL, i / 7.0) ELSE numrange(i / 3.0, i, '(]') END,
  tstzrange(TIMESTAMPTZ '2024-03-04 00:00:00+09' + (i || ' hours')::interval, NULL),
  ROW(i * 1.25, CASE WHEN i % 3 = 0 THEN 'K,R"W' ELSE 'EUR' END)::"Legacy ""Sales"".v2"."Money Pair",
  -- A valid ISBN-13 per row: 978, nine digits, and the check digit computed here.
  CASE WHEN i % 4 = 0 THEN NULL ELSE (
    SELECT (p || ((10 - sum(substr(p, k, 1)::int * CASE WHEN k % 2 = 0 THEN 3 ELSE 1 END) % 10) % 10))::isbn13
    FROM (SELECT '978' || lpad(i::text, 9, '0') AS p) AS x, generate_series(1, 12) AS k GROUP BY p) END,
  CASE WHEN i % 2 = 0 THEN 'MiXeD ' || i ELSE 'mixed ' || i END,
  CASE WHEN i % 12 = 0 THEN NULL
       ELSE ARRAY[int4range(1, i + 2), NULL, int4range(i, NULL)] END,
  CASE WHEN i % 10 = 0 THEN NULL ELSE to_tsvector('simple', 'order ' || i || ' of a ''fat'' cat') END,
  i % 17 - 8,
  CASE WHEN i % 3 = 0 THEN 'Straße ' || i ELSE NULL END,
  TIMESTAMP '2024-03-04 00:00:00' + make_interval(secs => i * 997 + (i % 1000) / 1000000.0),
  CASE WHEN i % 7 = 0 THEN NULL ELSE int4multirange(int4range(1, 3), int4range(i + 5, i + 9)) END
FROM generate_series(1, 240) AS i;

CREATE TABLE "مخطط"."العملاء" (
  "الاسم" text NOT NULL,
  "Código" varchar(20),
  "ID" bigint,
  "e-mail" citext,
  "oids" oid[],
  "pt" point,
  "ch" "char",
  "Última Compra" timestamptz,
  "nested" "Legacy ""Sales"".v2"."Money Pair"[]
);

INSERT INTO "مخطط"."العملاء"
SELECT
  'عميل ' || i,
  CASE WHEN i % 4 = 0 THEN NULL ELSE 'C-' || lpad(i::text, 4, '0') END,
  i * 7919,
  'User' || i || '@Example.COM',
  CASE WHEN i % 5 = 0 THEN NULL ELSE ARRAY[i::oid, NULL, 4294967295::oid] END,
  point(i / 3.0, -i * 1.5),
  chr(65 + i % 26)::"char",
  TIMESTAMPTZ '2024-03-04 12:00:00+00' - (i || ' days 0.5 seconds')::interval,
  ARRAY[ROW(i, 'a')::"Legacy ""Sales"".v2"."Money Pair", NULL]
FROM generate_series(1, 60) AS i;

-- A table named like a reserved word, in the Arabic schema, with a column named like one too.
CREATE TABLE "مخطط"."select" ("from" integer, "Where" text);
INSERT INTO "مخطط"."select" SELECT i, 'w' || i FROM generate_series(1, 25) AS i;
