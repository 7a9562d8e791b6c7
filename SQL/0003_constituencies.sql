-- Constituencies (the major groups of actors) that networks and organisations belong to: a table, not an enum, so the secretariat can add more.
CREATE TABLE constituency (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO constituency (code, name) VALUES
    ('ngo', 'Non-governmental organisations'),
    ('business_industry', 'Business and industry'),
    ('parliamentarians', 'Parliamentarians'),
    ('local_authorities', 'Local authorities'),
    ('academia_science', 'Academia and the scientific community'),
    ('indigenous_peoples', 'Indigenous peoples'),
    ('women', 'Women'),
    ('children_youth', 'Children and youth'),
    ('workers_trade_unions', 'Workers and trade unions'),
    ('farmers', 'Farmers');
