//! Diesel table definitions, kept by hand in step with `migrations/sqlite` and
//! `migrations/postgres` (the tests compare both migrated schemas with each other).

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        created_at -> Text,
        confidentiality_statement -> Nullable<Text>,
    }
}

diesel::table! {
    sites (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        kind -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        display_name -> Text,
        is_mentee -> Bool,
        is_mentor -> Bool,
        is_coordinator -> Bool,
        is_admin -> Bool,
        line_manager_id -> Nullable<Text>,
        site_id -> Nullable<Text>,
        start_date -> Nullable<Text>,
        password_hash -> Text,
        created_at -> Text,
        deactivated_at -> Nullable<Text>,
    }
}

diesel::table! {
    programmes (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        induction_weeks -> Integer,
        contact_every_days -> Integer,
        first_contact_days -> Integer,
        checkin_days -> Text,
        max_mentees_per_mentor -> Integer,
        created_at -> Text,
        kind -> Text,
        touchpoints -> Nullable<Text>,
        required_training -> Text,
        surveys -> Text,
    }
}

diesel::table! {
    mentorships (id) {
        id -> Text,
        org_id -> Text,
        programme_id -> Text,
        site_id -> Nullable<Text>,
        mentor_id -> Text,
        mentee_id -> Text,
        status -> Text,
        started_on -> Nullable<Text>,
        ended_on -> Nullable<Text>,
        end_reason -> Nullable<Text>,
        created_at -> Text,
        pause_reason -> Nullable<Text>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        person_id -> Text,
        org_id -> Text,
        name -> Text,
        actor_id -> Text,
        created_at -> Text,
        last_seen_at -> Nullable<Text>,
        revoked_at -> Nullable<Text>,
        session_epoch -> Integer,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        device_id -> Text,
        person_id -> Text,
        token_hash -> Text,
        issued_at -> Text,
        expires_at -> Text,
        used_at -> Nullable<Text>,
        revoked_at -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        org_id -> Text,
        actor_person_id -> Nullable<Text>,
        device_id -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        event_time -> Text,
        server_time -> Text,
        detail -> Text,
        seq -> BigInt,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    training_records (id) {
        id -> Text,
        org_id -> Text,
        person_id -> Text,
        course -> Text,
        completed_on -> Text,
        expires_on -> Nullable<Text>,
        evidence -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    mentor_profiles (person_id) {
        person_id -> Text,
        org_id -> Text,
        capacity -> Nullable<Integer>,
        languages -> Text,
        shift_pattern -> Nullable<Text>,
        specialisms -> Text,
        updated_at -> Text,
    }
}

// Issue 14: groups, their members and the projections of agreements and group
// sessions (also `organisations.confidentiality_statement`, `documents.group_id`).
diesel::table! {
    peer_groups (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        programme_id -> Nullable<Text>,
        facilitator_id -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    peer_group_members (group_id, person_id) {
        group_id -> Text,
        person_id -> Text,
        added_at -> Text,
    }
}

diesel::table! {
    agreement_projections (document_id) {
        document_id -> Text,
        org_id -> Text,
        mentorship_id -> Text,
        mentor_signed -> Bool,
        mentee_signed -> Bool,
        signed_on -> Nullable<Text>,
        amended_after_signing -> Bool,
        review_on -> Nullable<Text>,
        updated_at -> Text,
    }
}

diesel::table! {
    group_session_projections (document_id) {
        document_id -> Text,
        org_id -> Text,
        group_id -> Text,
        session_date -> Nullable<Text>,
        attended -> Integer,
        updated_at -> Text,
    }
}

diesel::joinable!(sites -> organisations (org_id));
diesel::joinable!(people -> organisations (org_id));
diesel::joinable!(programmes -> organisations (org_id));
diesel::joinable!(mentorships -> programmes (programme_id));
diesel::joinable!(devices -> people (person_id));
diesel::joinable!(refresh_tokens -> devices (device_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    sites,
    people,
    programmes,
    mentorships,
    devices,
    refresh_tokens,
    audit_events,
);

diesel::table! {
    documents (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        mentorship_id -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        header -> Text,
        heads -> Text,
        snapshot -> Nullable<Binary>,
        snapshot_upto -> BigInt,
        last_change_id -> BigInt,
        changes_since_snapshot -> Integer,
        created_at -> Text,
        updated_at -> Text,
        group_id -> Nullable<Text>,
    }
}

diesel::table! {
    document_changes (id) {
        id -> BigInt,
        document_id -> Text,
        hash -> Text,
        bytes -> Binary,
        device_id -> Nullable<Text>,
        person_id -> Nullable<Text>,
        received_at -> Text,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    session_projections (document_id) {
        document_id -> Text,
        org_id -> Text,
        mentorship_id -> Text,
        kind -> Nullable<Text>,
        session_date -> Nullable<Text>,
        start_time -> Nullable<Text>,
        duration_minutes -> Nullable<Integer>,
        mode -> Nullable<Text>,
        status -> Text,
        mentor_signed -> Bool,
        mentee_signed -> Bool,
        amended_after_sign_off -> Bool,
        amended_parts -> Text,
        shared_summary -> Nullable<Text>,
        updated_at -> Text,
        status_reason -> Nullable<Text>,
    }
}

diesel::table! {
    skill_projections (document_id, skill) {
        document_id -> Text,
        skill -> Text,
        org_id -> Text,
        mentorship_id -> Text,
    }
}

diesel::table! {
    projection_versions (projection) {
        projection -> Text,
        version -> Integer,
    }
}

diesel::joinable!(skill_projections -> session_projections (document_id));
diesel::allow_tables_to_appear_in_same_query!(session_projections, skill_projections);

diesel::table! {
    action_projections (document_id, action_id) {
        document_id -> Text,
        action_id -> Text,
        org_id -> Text,
        mentorship_id -> Text,
        due_on -> Nullable<Text>,
        done -> Bool,
    }
}

diesel::table! {
    goal_projections (document_id, goal_id) {
        document_id -> Text,
        goal_id -> Text,
        org_id -> Text,
        mentorship_id -> Text,
        category -> Text,
        status -> Text,
        target_date -> Nullable<Text>,
    }
}

diesel::table! {
    device_sync (device_id) {
        device_id -> Text,
        org_id -> Text,
        last_sync_at -> Text,
        oldest_unsynced_secs -> Nullable<BigInt>,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> Text,
        person_id -> Text,
        org_id -> Text,
        csrf_token -> Text,
        created_at -> Text,
        last_seen_at -> Text,
        expires_at -> Text,
        revoked_at -> Nullable<Text>,
    }
}

diesel::table! {
    audit_chain_heads (org_id) {
        org_id -> Text,
        last_seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    retention_settings (org_id) {
        org_id -> Text,
        pair_document_years -> Integer,
        leaver_days -> Integer,
        audit_years -> Integer,
        device_inactive_days -> Integer,
        updated_at -> Text,
    }
}

diesel::table! {
    erased_documents (id) {
        id -> Text,
        org_id -> Text,
        kind -> Text,
        mentorship_id -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        erased_at -> Text,
        reason -> Text,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        org_id -> Text,
        person_id -> Text,
        code_hash -> Text,
        issued_by -> Nullable<Text>,
        created_at -> Text,
        expires_at -> Text,
        used_at -> Nullable<Text>,
    }
}

diesel::table! {
    retired_actors (actor_id) {
        actor_id -> Text,
        device_id -> Text,
        retired_at -> Text,
    }
}

diesel::table! {
    document_positions (document_id) {
        document_id -> Text,
        org_id -> Text,
        change_seq -> BigInt,
        first_seq -> BigInt,
        compacted_seq -> BigInt,
        projected_seq -> BigInt,
        mentorship_id -> Nullable<Text>,
        owner_id -> Nullable<Text>,
        group_id -> Nullable<Text>,
    }
}

diesel::joinable!(document_positions -> documents (document_id));
diesel::allow_tables_to_appear_in_same_query!(document_positions, documents);

diesel::table! {
    sync_epoch (id) {
        id -> Integer,
        epoch -> Text,
        auth_generation -> BigInt,
    }
}

diesel::table! {
    sync_counters (org_id) {
        org_id -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    survey_responses (document_id) {
        document_id -> Text,
        org_id -> Text,
        mentorship_id -> Text,
        programme_id -> Text,
        site_id -> Nullable<Text>,
        respondent_id -> Text,
        respondent_role -> Text,
        survey_key -> Text,
        submitted_on -> Text,
        cohort_month -> Nullable<Text>,
        updated_at -> Text,
    }
}

diesel::table! {
    survey_answers (document_id, question_id) {
        document_id -> Text,
        question_id -> Text,
        score -> Nullable<Integer>,
        shared_text -> Nullable<Text>,
    }
}

diesel::joinable!(survey_answers -> survey_responses (document_id));
diesel::allow_tables_to_appear_in_same_query!(survey_responses, survey_answers);

diesel::table! {
    concern_projections (document_id) {
        document_id -> Text,
        org_id -> Text,
        mentorship_id -> Text,
        author_id -> Text,
        kind -> Text,
        status -> Text,
        raised_at -> Text,
        acknowledged_at -> Nullable<Text>,
        closed_at -> Nullable<Text>,
        updated_at -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(concern_projections, mentorships);
diesel::allow_tables_to_appear_in_same_query!(concern_projections, people);

diesel::table! {
    digest_sends (org_id) {
        org_id -> Text,
        last_sent_at -> Nullable<Text>,
    }
}

diesel::table! {
    person_departures (person_id) {
        person_id -> Text,
        org_id -> Text,
        left_on -> Text,
        leaving_reason -> Nullable<Text>,
        recorded_at -> Text,
    }
}
