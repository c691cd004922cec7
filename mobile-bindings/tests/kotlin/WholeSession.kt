// Issue 11 in Kotlin: every writer of the whole session, plan and goal, on two
// phones offline, then a sync; the other phone sees each field. Called by Main.kt.

import uniffi.alongside.AlongsideException
import uniffi.alongside.Client

fun syncAll(vararg clients: Client) {
    for (client in clients) {
        val report = client.sync()
        check(report.rejected.isEmpty(), "sync refused: $report")
    }
}

fun wholeSession(mentor: Client, mentee: Client, mentorship: String) {
    val mentorId = mentor.account()!!.userId
    val menteeId = mentee.account()!!.userId

    val sid = mentor.createSession(mentorship, "meeting", "2026-12-07")
    mentee.joinSession(sid, mentorship, "meeting", "2026-12-07")
    mentor.setSessionDetails(sid, "14:30", 45u, "online", "Teams")
    mentee.addSkill(sid, "communicating_with_families")
    mentee.addSkill(sid, "Kotlin free text skill")
    mentor.addSkill(sid, "record_keeping")
    val action = mentor.addAction(sid, "Shadow a night shift", menteeId, "2026-12-21")
    val undated = mentee.addAction(sid, "Ask about the rota", menteeId, null)
    mentee.setSharedSummary(sid, "Talked through families' questions.")
    val planned = mentee.planSession(mentorship, "check_in", "2026-12-28", "10:00")
    val cancelled = mentor.createSession(mentorship, "meeting", "2026-12-08")
    try {
        mentor.setSessionStatus(cancelled, "cancelled", null)
        check(false, "cancelled without a reason must be refused")
    } catch (expected: AlongsideException.Invalid) {
        // A reason is required.
    }
    mentor.setSessionStatus(cancelled, "cancelled", "no cover on the unit")
    val goal = mentee.addGoal(mentorship, "Talk with families", "confidence", null)
    mentee.setGoalDescription(mentorship, goal, "Visiting hours on Ward 2")
    val progress = mentee.addGoalProgress(mentorship, goal, "Answered a daughter's questions")
    syncAll(mentor, mentee, mentor)

    val seen = mentee.session(sid)
    check(seen.startTime == "14:30" && seen.durationMinutes == 45u && seen.mode == "online" && seen.location == "Teams",
        "details: $seen")
    check(seen.skills.sorted() == listOf("Communicating with families", "Kotlin free text skill", "Record keeping"),
        "skills: ${seen.skills}")
    check(mentor.session(sid).sharedSummary == "Talked through families' questions.", "summary")
    val p = mentor.session(planned)
    check(p.status == "planned" && p.startTime == "10:00" && p.date == "2026-12-28", "planned: $p")
    mentor.rescheduleSession(planned, "2026-12-29", null)
    syncAll(mentor, mentee)
    val moved = mentee.session(planned)
    check(moved.date == "2026-12-29" && moved.startTime == null && moved.status == "planned", "moved: $moved")
    val c = mentee.session(cancelled)
    check(c.status == "cancelled" && c.statusReason == "no cover on the unit", "cancelled: $c")
    val g = mentor.goals(mentorship).single()
    check(g.description == "Visiting hours on Ward 2", "description: $g")
    check(g.progress.map { Triple(it.id, it.authorId, it.note) } ==
        listOf(Triple(progress, menteeId, "Answered a daughter's questions")), "progress: ${g.progress}")

    mentee.setSessionDetails(sid, null, 50u, null, null)
    mentor.removeSkill(sid, "record_keeping")
    mentee.editAction(sid, action, "Shadow two night shifts", mentorId, null)
    mentor.setActionDone(sid, undated, true)
    mentor.setSharedSummary(sid, "")
    mentor.setSessionStatus(cancelled, "missed", "called in to cover nights")
    syncAll(mentee, mentor, mentee)

    val again = mentor.session(sid)
    check(again.startTime == null && again.durationMinutes == 50u && again.mode == null && again.location == null,
        "cleared details: $again")
    check("Record keeping" !in mentee.session(sid).skills, "skill removed")
    val edited = again.actions.single { it.id == action }
    check(edited.text == "Shadow two night shifts" && edited.ownerId == mentorId && edited.due == null, "edited: $edited")
    check(mentee.session(sid).sharedSummary == null, "summary cleared")
    val m = mentor.session(cancelled)
    check(m.status == "missed" && m.statusReason == "called in to cover nights", "missed: $m")
    val open = mentee.openActions(mentorship)
    check(open.map { it.action.id } == listOf(action), "open actions: $open")
    check(mentor.skillCatalogue().count { it.group == "Care Certificate" } == 15, "catalogue")
}
