{#- Every non-null value of the column is the code of a current entry of the given reference
    directory (a relationships test restricted to one directory and to today's entries). -#}
{% test in_reference_directory(model, column_name, directory) %}
    with entries as (
        {{ current_reference_entries(directory) }}
    )

    select {{ column_name }} as unknown_code, count(*) as occurrences
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }}::text not in (select entry_code::text from entries)
    group by {{ column_name }}
{% endtest %}
