package postgres

// InterpretError exposes interpretError to the tests of the database's own rules.
var InterpretError = interpretError
