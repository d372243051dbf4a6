-- Issue 15: the customer list and its search (电话、姓名、小区) at a company's scale. Before,
-- every search read the whole customers table (three LIKE '%…%' in one OR), and the default
-- page sorted all of a store's customers to keep 50.
--
-- pg_trgm ships with PostgreSQL's contrib (Debian's postgresql-15 package, the postgres
-- image of docker-compose.yml); it is a trusted extension, so the database owner creates it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Every write of a customer row adds its trigrams to each index's pending list, which a
-- search reads in full until (auto)vacuum moves it into the index: 64 kB (the least
-- PostgreSQL takes, against 4 MB by default) bounds what a search pays for it, at the
-- cost of merging more often.
--
-- A phone holds digits only: its trigrams serve LIKE '%1390%' in any locale.
CREATE INDEX customers_phone_trgm ON customers USING gin (phone gin_trgm_ops) WITH (gin_pending_list_limit = 64);

-- Names and communities are Chinese. pg_trgm makes trigrams of the characters its locale
-- calls letters: under the C locale of the embedded cluster a Chinese character is none,
-- and under any locale a one- or two-character search (王, 翠湖) has no whole trigram.
-- The text's UTF-8 bytes in hex are ASCII letters and digits in every locale, and a
-- Chinese character is six of them: LIKE '%<hex of q>%' on this expression finds every
-- row whose text holds q (a hex match may straddle a character; the query rechecks the
-- text itself). The query side is server/customer_list.go (searchCondition).
CREATE INDEX customers_name_hex_trgm ON customers USING gin (encode(name::bytea, 'hex') gin_trgm_ops)
    WITH (gin_pending_list_limit = 64);
CREATE INDEX customers_community_hex_trgm ON customers USING gin (encode(community::bytea, 'hex') gin_trgm_ops)
    WITH (gin_pending_list_limit = 64);

-- The list's default order (newest filing first, then id) read from an index, so a page
-- stops after its rows instead of sorting every customer in scope.
CREATE INDEX customers_filed_at_id ON customers (filed_at, id);
