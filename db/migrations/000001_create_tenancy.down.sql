DROP TABLE access_tokens;
DROP TABLE api_client_schools;
DROP TABLE api_clients;
DROP TABLE schools;
DROP TABLE districts;
