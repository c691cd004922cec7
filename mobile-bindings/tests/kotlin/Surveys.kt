// Issue 15's surveys in Kotlin: the day 30 survey due on a starter's phone, a
// bad score refused, the survey answered and synced. Run by
// tests/python/test_surveys.py. Usage: surveys.SurveysKt SERVER_URL MENTORSHIP_ID WORK_DIR

package surveys

import uniffi.alongside.AlongsideException
import uniffi.alongside.Client
import uniffi.alongside.SurveyAnswer
import kotlin.system.exitProcess

fun expect(condition: Boolean, message: String) {
    if (!condition) {
        System.err.println("FAILED: $message")
        exitProcess(1)
    }
}

fun answers(score: UInt): List<SurveyAnswer> =
    listOf("confidence", "support", "availability", "stay", "match").map { SurveyAnswer(it, score, null) } +
        SurveyAnswer("comment", null, "Getting there")

fun main(args: Array<String>) {
    expect(args.size == 3, "usage: SurveysKt SERVER_URL MENTORSHIP_ID WORK_DIR")
    val (url, mentorship, dir) = args
    val client = Client("$dir/kstarter", url)
    client.login("kstarter@bindings.example", "correct horse battery staple", "Kotlin starter phone")
    val due = client.dueSurveys()
    expect(due.size == 1 && due[0].surveyKey == "day_30" && due[0].mentorshipId == mentorship, "due: $due")
    expect(due[0].questions.map { it.kind } == List(5) { "scale" } + "text", "kinds: ${due[0].questions}")
    try {
        client.answerSurvey(mentorship, "day_30", answers(7u), false)
        expect(false, "a score of 7 must be refused")
    } catch (expected: AlongsideException.Invalid) {
        // Scores are 1 to 5.
    }
    client.answerSurvey(mentorship, "day_30", answers(3u), false)
    expect(client.dueSurveys().isEmpty(), "answered")
    val report = client.sync()
    expect(report.rejected.isEmpty(), "sync refused: $report")
    expect(client.pending() == 0UL, "sent")
    println("kotlin surveys: ok")
}
