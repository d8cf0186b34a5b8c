-- For docker-compose.yml: the role the server runs as. The migrations grant it what it may do:
-- read and write rows, add to what only grows (000007).
CREATE ROLE rapport_app LOGIN PASSWORD 'rapport_app';
