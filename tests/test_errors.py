from analysis.errors import InputError, Problem, input_error


def test_problem_names_file_row_column_value_expected_in_both_languages():
    text = Problem(
        "inv.csv", 7, "類別", "policing", "a frame category", "編碼架構中的類別"
    ).describe()
    assert "file inv.csv, row 7, column '類別': value 'policing'; expected a frame category" in text
    assert "檔案 inv.csv，第 7 列，欄位「類別」：值 'policing'；應為編碼架構中的類別" in text


def test_input_error_lists_problems_and_truncates():
    err = InputError([Problem("f", i, "c", i, "x") for i in range(25)], "25 problems")
    lines = str(err).splitlines()
    assert lines[0] == "25 problems"
    assert len(lines) == 22 and lines[-1].endswith("and 5 more")
    assert "row 3" in str(input_error("f", 3, "c", "v", "w"))
