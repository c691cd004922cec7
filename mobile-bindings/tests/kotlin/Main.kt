// A JVM program over the generated Kotlin bindings, run against a real server by
// mobile-bindings/tests/python/test_kotlin.py: two phones, one session, a sync.
// Usage: Main SERVER_URL MENTORSHIP_ID WORK_DIR RESET_CODE (the mentee's, from a coordinator)

import uniffi.alongside.AlongsideException
import uniffi.alongside.Client
import kotlin.system.exitProcess

const val PASSWORD = "correct horse battery staple"

fun check(condition: Boolean, message: String) {
    if (!condition) {
        System.err.println("FAILED: $message")
        exitProcess(1)
    }
}

fun main(args: Array<String>) {
    check(args.size == 4, "usage: Main SERVER_URL MENTORSHIP_ID WORK_DIR RESET_CODE")
    val (url, mentorship, dir, resetCode) = args

    val mentor = Client("$dir/mentor", url)
    mentor.login("mentor@bindings.example", PASSWORD, "Kotlin mentor phone")
    val sessionId = mentor.createSession(mentorship, "shadowing", "2026-05-05")
    mentor.editNotes(sessionId, 0u, 0u, "Written from Kotlin 🚀")
    val sent = mentor.sync()
    check(sent.roundTrips == 1u && sent.docsSent == 1u, "mentor sync: $sent")

    val mentee = Client("$dir/mentee", url)
    mentee.login("mentee@bindings.example", PASSWORD, "Kotlin mentee phone")
    mentee.sync()
    // Reminders came with the sync: the new pairing's welcome is due, not overdue.
    val reminders = mentee.reminders()
    check(reminders.any { it.kind == "touchpoint" && !it.overdue && it.mentorshipId == mentorship }, "reminders: $reminders")
    val seen = mentee.session(sessionId)
    check(seen.notes == "Written from Kotlin 🚀", "mentee reads ${seen.notes}")

    // Kotlin's String.length counts UTF-16 code units, the product's convention.
    mentee.editNotes(sessionId, seen.notes.length.toUInt(), 0u, " Agreed!")
    try {
        mentee.setFeedback(sessionId, "praise", "none")
        check(false, "a mentee writing mentor feedback must be refused")
    } catch (expected: AlongsideException.Forbidden) {
        // The write rules hold in Kotlin too.
    }
    mentee.sync()
    mentor.sync()
    check(mentor.session(sessionId).notes == "Written from Kotlin 🚀 Agreed!", "mentor reads ${mentor.session(sessionId).notes}")
    wholeSession(mentor, mentee, mentorship)
    encryptedPhone(url, mentorship, dir)
    changePassword(url, dir)
    resetPassword(url, dir, resetCode)
    println("kotlin bindings: ok")
}
