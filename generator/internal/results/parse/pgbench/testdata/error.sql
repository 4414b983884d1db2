\set n random(0, 20)
SELECT 1 / :n;
