DROP TABLE service_pledges;
DROP TABLE feedback_supporters;
DROP TRIGGER feedback_transitions_append_only ON feedback_transitions;
DROP TABLE feedback_transitions;
DROP TRIGGER feedback_items_status_transition ON feedback_items;
DROP FUNCTION feedback_items_status_transition();
DROP TABLE feedback_items;
DROP TABLE campaigns;
