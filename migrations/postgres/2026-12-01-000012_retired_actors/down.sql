DROP TABLE retired_actors;
