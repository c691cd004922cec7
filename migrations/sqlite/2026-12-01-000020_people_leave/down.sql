DROP TABLE person_departures;
