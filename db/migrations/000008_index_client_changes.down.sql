DROP INDEX changes_clients_idx;
