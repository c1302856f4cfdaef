/* A tiny program that links SQLite dynamically (-lsqlite3): the gcc
 * image has libsqlite3 (buildpack-deps), debian slim does not, so the
 * rewrite must install libsqlite3-0 in the runtime stage. */
#include <stdio.h>
#include <sqlite3.h>

int main(void) {
	sqlite3 *db;
	sqlite3_stmt *st;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	const char *setup =
		"CREATE TABLE visits (page TEXT);"
		"INSERT INTO visits VALUES ('/'), ('/about'), ('/');";
	if (sqlite3_exec(db, setup, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "setup: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	if (sqlite3_prepare_v2(db, "SELECT page, COUNT(*) FROM visits GROUP BY page ORDER BY page", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "query: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		printf("%s %d\n", (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("counter ok\n");
	return 0;
}
