// The premium the customer pays: base + age surcharge + valuables, never below the minimum.
const premium = BasePremium + InsuranceCosts + ValuablesFee;
NumberOfDays <= 0 ? 0 : ROUND(Math.max(premium, MinimumPremium), 2)
