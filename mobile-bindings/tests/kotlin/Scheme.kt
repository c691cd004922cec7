// Issue 14 in Kotlin: an agreement signed on two phones and amended after, and
// a group session shared by three members. Run by tests/python/test_scheme.py.
// Usage: scheme.SchemeKt SERVER_URL MENTORSHIP_ID GROUP_ID THIRD_MEMBER_ID WORK_DIR

package scheme

import uniffi.alongside.AgreementInput
import uniffi.alongside.AlongsideException
import uniffi.alongside.Client
import kotlin.system.exitProcess

const val PASSWORD = "correct horse battery staple"

fun expect(condition: Boolean, message: String) {
    if (!condition) {
        System.err.println("FAILED: $message")
        exitProcess(1)
    }
}

fun phone(url: String, dir: String, who: String): Client {
    val client = Client("$dir/$who", url)
    client.login("$who@bindings.example", PASSWORD, "Kotlin $who phone")
    return client
}

fun syncAll(vararg clients: Client) {
    for (client in clients) {
        val report = client.sync()
        expect(report.rejected.isEmpty(), "sync refused: $report")
    }
}

fun main(args: Array<String>) {
    expect(args.size == 5, "usage: SchemeKt SERVER_URL MENTORSHIP_ID GROUP_ID THIRD_MEMBER_ID WORK_DIR")
    val (url, mentorship, group, third, dir) = args
    val mentor = phone(url, dir, "mentor")
    val mentee = phone(url, dir, "mentee")
    val member = phone(url, dir, "third")
    val menteeId = mentee.account()!!.userId

    expect(mentee.agreement(mentorship).confidentialityStatement.contains("safeguarding"), "statement")
    var terms = AgreementInput("Every two weeks", listOf("phone"), "Work phone only", "", "Shadow nights", "2099-06-30")
    mentor.setAgreement(mentorship, terms)
    syncAll(mentor, mentee)
    try {
        mentee.setAgreement(mentorship, terms.copy(hopesMentor = "not mine to write"))
        expect(false, "a mentee rewriting the mentor's hopes must be refused")
    } catch (expected: AlongsideException.Forbidden) {
        // Each member writes only their own hopes.
    }
    terms = terms.copy(hopesMentee = "Feel settled 🌱")
    mentee.setAgreement(mentorship, terms)
    syncAll(mentee, mentor)
    mentor.signAgreement(mentorship)
    mentee.signAgreement(mentorship)
    syncAll(mentor, mentee, mentor)
    val signed = mentor.agreement(mentorship)
    expect(signed.mentorSigned && signed.menteeSigned && !signed.amendedAfterSigning, "signed: $signed")
    expect(signed == mentee.agreement(mentorship), "both phones agree")
    mentee.setAgreement(mentorship, terms.copy(boundaries = "Work phone, weekdays"))
    syncAll(mentee, mentor)
    val amended = mentor.agreement(mentorship)
    expect(amended.amendedAfterSigning && amended.amendedParts == listOf("terms"), "amended: $amended")

    expect(member.groups().map { it.id } == listOf(group), "groups: ${member.groups()}")
    val session = mentor.createGroupSession(group, "2026-12-16")
    mentee.joinGroupSession(session, group, "2026-12-16")
    mentor.editGroupNotes(session, 0u, 0u, "Kotlin circle 🚀")
    // Kotlin's String.length counts UTF-16 code units, the product's convention.
    mentor.editGroupNotes(session, "Kotlin circle 🚀".length.toUInt(), 0u, "!")
    mentor.setAttendance(session, menteeId, true)
    mentee.setMyGroupAccount(session, "Helpful")
    syncAll(mentor, mentee, member, mentor)
    member.setAttendance(session, third, true)
    syncAll(member, mentor)
    val view = mentor.groupSession(session)
    expect(view.notes == "Kotlin circle 🚀!", "notes: ${view.notes}")
    expect(view.attendance == mapOf(menteeId to true, third to true), "attendance: ${view.attendance}")
    expect(view.accounts == mapOf(menteeId to "Helpful"), "accounts: ${view.accounts}")
    expect(member.groupSession(session) == view, "the third member sees the same")
    member.rescheduleGroupSession(session, "2026-12-17")
    syncAll(member, mentor)
    expect(mentor.groupSession(session).date == "2026-12-17", "moved: ${mentor.groupSession(session)}")
    println("kotlin scheme: ok")
}
